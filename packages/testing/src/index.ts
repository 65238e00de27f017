export { DEFAULT_TOKEN_SCOPE, TEST_CLIENTS, TEST_SCOPES, TEST_USERS } from './fixtures.js';
export type { TestClient, TestUser } from './fixtures.js';
export { startIdp } from './idp.js';
export type { TestIdp } from './idp.js';
export type { JwksMode } from './jwks-gate.js';
export type { StartIdpOptions } from './options.js';
export { TEST_USER_GRANT_TYPE } from './test-user-grant.js';
export { sendRawHttp, junkRequests } from './raw-http.js';
export type { RawHttpResponse } from './raw-http.js';
