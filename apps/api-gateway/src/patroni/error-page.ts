/** Python's `BaseHTTPRequestHandler.responses`: short and long message per status code. */
const RESPONSES: Readonly<Record<number, readonly [string, string]>> = {
  400: ['Bad Request', 'Bad request syntax or unsupported method'],
  401: ['Unauthorized', 'No permission -- see authorization schemes'],
  404: ['Not Found', 'Nothing matches the given URI'],
  409: ['Conflict', 'Request conflict'],
  411: ['Length Required', 'Client must specify Content-Length'],
  500: ['Internal Server Error', 'Server got itself in trouble'],
  501: ['Not Implemented', 'Server does not support this operation'],
  502: ['Bad Gateway', 'Invalid responses from another server/proxy'],
  503: ['Service Unavailable', 'The server cannot process the request due to a high load'],
};

/** The HTML page of Python's `send_error(code, message)`, as Patroni sends for malformed requests. */
export function errorPage(status: number, message?: string): string {
  const [short, long] = RESPONSES[status] ?? ['Error', 'Error'];
  return `<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: ${status}</p>
        <p>Message: ${message ?? short}.</p>
        <p>Error code explanation: ${status} - ${long}.</p>
    </body>
</html>
`;
}
