// oidc-provider ships no type declarations: these describe only the part this package uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ProviderClient {
    readonly clientId: string;
    readonly scope?: string;
  }

  export interface ResourceServerInfo {
    audience?: string;
    scope: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'jwt' | 'opaque';
    jwt?: { sign?: { alg?: string; kid?: string } };
  }

  export interface ResourceServerInstance extends ResourceServerInfo {
    readonly scopes: Set<string>;
    identifier(): string;
  }

  export interface ProviderAccount {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  export interface OIDCContext {
    readonly params: Record<string, string | string[] | undefined>;
    readonly client: ProviderClient;
    entity(name: string, value: unknown): void;
  }

  export interface ProviderContext {
    readonly oidc: OIDCContext;
    body: unknown;
  }

  export interface GrantInstance {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface AccessTokenInstance {
    accountId?: string;
    clientId?: string;
    grantId?: string;
    gty?: string;
    scope?: string;
    resourceServer?: ResourceServerInstance;
    readonly expiration: number;
    readonly tokenType: string;
    readonly kind: string;
    save(): Promise<string>;
  }

  export interface TokenWithAccount {
    readonly kind: string;
    readonly accountId?: string;
    readonly clientId?: string;
    readonly resourceServer?: ResourceServerInstance;
  }

  export type Configuration = Record<string, unknown>;

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly Grant: (new (init: { accountId: string; clientId: string }) => GrantInstance) & { find(id: string): Promise<GrantInstance | undefined> };
    readonly AccessToken: new (init: {
      accountId: string;
      client: ProviderClient;
      grantId?: string;
      gty?: string;
      scope?: string;
    }) => AccessTokenInstance;
    readonly ResourceServer: new (identifier: string, info: ResourceServerInfo) => ResourceServerInstance;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{
      uid: string;
      params: Record<string, unknown>;
      prompt: { name: string; details?: Record<string, unknown> };
      grantId?: string;
      session?: { accountId?: string };
    }>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    registerGrantType(
      name: string,
      handler: (ctx: ProviderContext) => Promise<void>,
      params?: string | string[],
      dupes?: string | string[],
    ): void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export const errors: {
    CustomOIDCProviderError: new (error: string, description: string) => Error;
    InvalidScope: new (description: string, scope: string) => Error;
    InvalidTarget: new (description?: string) => Error;
  };

  export default Provider;
}
