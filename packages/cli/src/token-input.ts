import { UsageError } from './errors.js';
import type { ResolvedIo } from './io.js';

/**
 * The TOKEN argument: `-` reads it from standard input (so it stays out of shell history and
 * `ps`); a pasted `Bearer ` prefix or `Authorization:` header is forgiven.
 */
export async function readTokenArgument(value: string, io: ResolvedIo, command: string): Promise<string> {
  let token = value;
  if (value === '-') {
    if ((io.stdin as { isTTY?: boolean }).isTTY) io.stderr.write('Paste the token, then press Enter and Ctrl-D:\n');
    let text = '';
    for await (const chunk of io.stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    token = text;
  }
  token = token.trim().replace(/^authorization:\s*/i, '').replace(/^bearer\s+/i, '').trim();
  if (!token) throw new UsageError(value === '-' ? 'no token on standard input' : 'TOKEN is empty', command);
  if (/\s/.test(token)) throw new UsageError('TOKEN must not contain spaces or line breaks', command);
  return token;
}
