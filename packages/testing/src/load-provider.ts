type OidcProviderModule = typeof import('oidc-provider');

let loading: Promise<OidcProviderModule> | undefined;

// oidc-provider 9 prints "Unsupported runtime" once at import time on Node.js 20, which the
// restauth packages support; that one line would be noise in every test run, so it alone is
// dropped while the module loads. Imported lazily so that importing this package stays quiet.
const RUNTIME_NOTICE = 'oidc-provider WARNING: Unsupported runtime';

/** oidc-provider, imported once on first use. */
export function loadOidcProvider(): Promise<OidcProviderModule> {
  loading ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]): void => {
      if (typeof args[0] === 'string' && args[0].includes(RUNTIME_NOTICE)) return;
      warn.apply(console, args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return loading;
}
