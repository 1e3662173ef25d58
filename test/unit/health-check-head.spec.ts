import { readHead } from '../../apps/api-gateway/src/patroni/health-check-responses.ts';
import { originForm } from '../../apps/api-gateway/src/patroni/request-target.ts';

/** The heads the member listeners' fast path answers itself, read as Patroni's server reads them. */
describe('readHead', () => {
  it.each([
    ['GET /primary HTTP/1.0', { method: 'GET', target: '/primary', keepAlive: false }],
    ['GET /primary HTTP/1.1\r\nHost: x\r', { method: 'GET', target: '/primary', keepAlive: true }],
    ['GET /primary HTTP/1.1\nHost: x', { method: 'GET', target: '/primary', keepAlive: true }],
    ['HEAD /replica?lag=1MB#f HTTP/1.1', { method: 'HEAD', target: '/replica?lag=1MB' }],
    ['OPTIONS http://h:8008/ HTTP/1.1\r\nConnection: close', { target: '/', keepAlive: false }],
    ['GET / HTTP/1.0\r\nConnection: Keep-Alive\r', { keepAlive: true }],
  ])('answers %j', (head, expected) => {
    expect(readHead(head)).toMatchObject({ kind: 'check', ...expected });
  });

  it.each(['get', 'Get', 'PROPFIND', 'CONNECT'])('answers %s with the 501 of Patroni', (method) => {
    expect(readHead(`${method} /primary HTTP/1.1\r\nHost: x\r`)).toEqual({
      kind: 'unsupported',
      method,
    });
  });

  it.each([
    'GET /primary HTTP/2.0',
    'GET /primary',
    'GET  /primary HTTP/1.1',
    'POST /reload HTTP/1.1\r\nHost: x\r',
    'GET /primary HTTP/1.1\r\nContent-Length: 5\r',
    'GET /primary HTTP/1.1\r\nTransfer-Encoding: chunked\r',
    'GET /primary HTTP/1.1\r\nUpgrade: h2c\r',
    'GET /primary HTTP/1.1\r\nX-A: 1\r\n folded\r',
    'GET /primary HTTP/1.1\r\nX-A: a\0b\r',
    'GET /primary HTTP/1.1\r\nX-A: a\rb\r',
    'GET /primary HTTP/1.1\r\nBad Name: 1\r',
    'GET * HTTP/1.1',
    'GET ftp://h/primary HTTP/1.1',
    'GET /caf\u00e9 HTTP/1.1',
  ])("leaves %j to Node's server", (head) => {
    expect(readHead(head)).toBeUndefined();
  });
});

describe('originForm', () => {
  it.each([
    ['/primary', '/primary'],
    ['/primary#x', '/primary'],
    ['/replica?lag=1#x', '/replica?lag=1'],
    ['http://host:8008', '/'],
    ['HTTPS://host?lag=1', '/?lag=1'],
    ['http://host/patroni', '/patroni'],
  ])('reads %j as %j', (target, path) => {
    expect(originForm(target)).toBe(path);
  });

  it.each(['*', 'host:8008', 'ftp://host/x'])('has no path for %j', (target) => {
    expect(originForm(target)).toBeUndefined();
  });
});
