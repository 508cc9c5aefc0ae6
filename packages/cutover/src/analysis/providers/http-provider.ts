import { renderTemplate, templateValues } from '../../config/query-template.ts';
import type { HttpProviderConfig } from '../../config/schema-analysis.ts';
import { errorText } from '../../shared/error-text.ts';
import { type MetricProvider, measurementError } from '../metric-provider.ts';
import { readJsonDocument } from '../read-json-document.ts';

export interface HttpProviderOptions {
  /** The fetch used for requests (default: globalThis.fetch). */
  fetch?: typeof fetch;
}

/** Body bytes kept in a record when the answer cannot be used. */
const BODY_EXCERPT_CHARS = 200;

/** A JSON endpoint that reports a metric; the value is picked with a JSON path. */
export function createHttpProvider(options: HttpProviderOptions = {}): MetricProvider<HttpProviderConfig> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  return {
    async measure(config, ctx) {
      const values = templateValues(ctx);
      const url = renderTemplate(config.url, values, encodeURIComponent);
      if ('error' in url) return measurementError(`${config.method} ${config.url}`, url.error);
      const query = `${config.method} ${url.text} ${config.jsonPath}`;
      const body = config.body === undefined ? undefined : renderTemplate(config.body, values);
      if (body !== undefined && 'error' in body) return measurementError(query, `body: ${body.error}`);
      let status: number;
      let text: string;
      try {
        const response = await fetchFn(url.text, {
          method: config.method,
          headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...config.headers },
          body: body?.text,
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(config.timeoutMs)]),
        });
        status = response.status;
        text = await response.text();
      } catch (error) {
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        return measurementError(query, timedOut ? `no answer within ${config.timeoutMs}ms` : `request failed: ${errorText(error)}`);
      }
      const excerpt = text.slice(0, BODY_EXCERPT_CHARS);
      if (status < 200 || status > 299) return measurementError(query, `answered HTTP ${status}`, { status, body: excerpt });
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch {
        return measurementError(query, `answered HTTP ${status} with a body that is not JSON`, { status, body: excerpt });
      }
      return readJsonDocument(document, config, query);
    },
  };
}
