// Resource indicators (RFC 8707) must be absolute URIs, while audiences such as 'api' are
// often plain names: a plain name travels as urn:restauth:audience:<name> and comes back out
// as the token's `aud`.
const PREFIX = 'urn:restauth:audience:';

/** The `resource` parameter that asks the IdP for tokens with this `aud`. */
export function resourceIndicatorFor(audience: string): string {
  return URL.canParse(audience) ? audience : `${PREFIX}${encodeURIComponent(audience)}`;
}

/** The `aud` of tokens issued for this resource indicator. */
export function audienceOf(resource: string): string {
  return resource.startsWith(PREFIX) ? decodeURIComponent(resource.slice(PREFIX.length)) : resource;
}
