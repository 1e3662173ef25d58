export { BASIC_AUTH_CHALLENGE, BasicAuthCheck, basicAuthToken } from './basic-auth.ts';
