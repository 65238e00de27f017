// Two fixed client certificates for mutual TLS and certificate-bound tokens (RFC 8705), each a
// self-signed P-256 certificate valid for 100 years, generated once with the openssl command
// line (Node cannot create certificates). Test material only: these private keys are public.

/** A client certificate (CN=restauth test client one) for mutual-TLS tests. */
export const CLIENT_CERTIFICATE_PEM = `-----BEGIN CERTIFICATE-----
MIIBnTCCAUOgAwIBAgIUJ/QpWIMrhlQZXq4cXP10ngh1jwwwCgYIKoZIzj0EAwIw
IzEhMB8GA1UEAwwYcmVzdGF1dGggdGVzdCBjbGllbnQgb25lMCAXDTI2MTIwNjA3
MTU0MFoYDzIxMjYxMTEyMDcxNTQwWjAjMSEwHwYDVQQDDBhyZXN0YXV0aCB0ZXN0
IGNsaWVudCBvbmUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATmOu9FLgiZmBzA
gwA6Zepawouu3TXHNoO2HWgFMY7i2deedz5vgDnfzW73kiWhurtN7if1sqEEy/nk
MbsVxjbio1MwUTAdBgNVHQ4EFgQUQ8nLhFThBVcALEpDGB/9v5QGoL8wHwYDVR0j
BBgwFoAUQ8nLhFThBVcALEpDGB/9v5QGoL8wDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNIADBFAiEA6iW2PS69uH0QAu2j2ZmLz1e6MPjudZux0bwZFMt6WooC
IGJPg0aql+27aPTwxoScAKJ5AEJfSJ2CccerdQjPGS7U
-----END CERTIFICATE-----
`;

/** The private key of {@link CLIENT_CERTIFICATE_PEM}. */
export const CLIENT_PRIVATE_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwYruLGlgA/JxanlR
KRJx/UBdv74wSzid1zOaHrtvf9ahRANCAATmOu9FLgiZmBzAgwA6Zepawouu3TXH
NoO2HWgFMY7i2deedz5vgDnfzW73kiWhurtN7if1sqEEy/nkMbsVxjbi
-----END PRIVATE KEY-----
`;

/** Another client certificate (CN=restauth test client two): a token bound to the first must refuse it. */
export const OTHER_CLIENT_CERTIFICATE_PEM = `-----BEGIN CERTIFICATE-----
MIIBnTCCAUOgAwIBAgIUEtT/xq3FyyFOBqUxA9goPA5o+hEwCgYIKoZIzj0EAwIw
IzEhMB8GA1UEAwwYcmVzdGF1dGggdGVzdCBjbGllbnQgdHdvMCAXDTI2MTIwNjA3
MTU0MFoYDzIxMjYxMTEyMDcxNTQwWjAjMSEwHwYDVQQDDBhyZXN0YXV0aCB0ZXN0
IGNsaWVudCB0d28wWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATiR4R4TFEP3Cz7
KF8xtUwPvc6bxEYRQFZZcjzlhOy9djpswuQVa0TCQDJ1FcipDHqIDVC/fexd5Mwv
nytuFEfao1MwUTAdBgNVHQ4EFgQUf0myD9Xw1ElDZudaHCUXHmQULPIwHwYDVR0j
BBgwFoAUf0myD9Xw1ElDZudaHCUXHmQULPIwDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNIADBFAiEA8o9ltbBjD2+bFVhBOid+s4Dh2HIUBW7Y/7WaJT0IQf4C
IDukzc5UztvfFhQZkkBV+q+v7R2i6qF9opz1PATSfShb
-----END CERTIFICATE-----
`;

/** The private key of {@link OTHER_CLIENT_CERTIFICATE_PEM}. */
export const OTHER_CLIENT_PRIVATE_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgLvfl7pgkCLS0hWF5
mUTC7P5dwFlg3mj83vnucoeI/MuhRANCAATiR4R4TFEP3Cz7KF8xtUwPvc6bxEYR
QFZZcjzlhOy9djpswuQVa0TCQDJ1FcipDHqIDVC/fexd5MwvnytuFEfa
-----END PRIVATE KEY-----
`;
