/**
 * A provider answer as a JSON object, or undefined when it is anything else (HTML from a login
 * page or a proxy, plain text, an array, a bare string...). The content type is not trusted
 * either way: only the body decides.
 *
 * @example
 * answerObject('{"active":true}') // { active: true }
 * answerObject('<html>...</html>') // undefined
 */
export function answerObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
