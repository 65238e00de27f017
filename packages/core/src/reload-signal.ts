import { formatConfigDiff } from './config/diff.js';
import type { RestAuth } from './rest-auth.js';

/**
 * Options of {@link reloadOnSignal}.
 *
 * @example
 * const options: ReloadOnSignalOptions = { signal: 'SIGUSR2', log: (line) => logger.info(line) };
 */
export interface ReloadOnSignalOptions {
  /** Default `SIGHUP`. */
  readonly signal?: NodeJS.Signals;
  /** Where the outcome goes, one line per call. Default `console.log` / `console.error`. */
  readonly log?: (line: string, outcome: 'applied' | 'refused') => void;
}

/**
 * Reloads the config file `file` into `auth` each time the process gets `SIGHUP` (or the given
 * signal), and logs the outcome: the changes applied, or the refusal with the exact path of each
 * mistake (the old config stays in force). Returns a function that stops listening.
 *
 * @example
 * const stop = reloadOnSignal(auth, process.env.RESTAUTH_CONFIG ?? './restauth.config.json');
 * // kill -HUP <pid>  ->  "restauth: reloaded ./restauth.config.json: ~ rateLimit.limit"
 */
export function reloadOnSignal(auth: RestAuth, file: string, options: ReloadOnSignalOptions = {}): () => void {
  const signal = options.signal ?? 'SIGHUP';
  const log = options.log ?? ((line, outcome) => (outcome === 'applied' ? console.log(line) : console.error(line)));
  const onSignal = () => {
    auth.reload(file).then(
      ({ diff }) => log(`restauth: reloaded ${file}: ${formatConfigDiff(diff).join('; ')}`, 'applied'),
      (err: unknown) => log(`restauth: reload of ${file} refused, the previous config stays in force. ${err instanceof Error ? err.message : String(err)}`, 'refused'),
    );
  };
  process.on(signal, onSignal);
  return () => {
    process.off(signal, onSignal);
  };
}
