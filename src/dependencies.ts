/**
 * The third-party packages a run may never need, each loaded on first use:
 * YAML (a registry config.yml or a policy file), the S3 request signer and
 * XML parser (a registry on S3), glob matching (retention scoped by
 * repository). A run on a plain root folder loads none of them. Loaded at
 * start-up they were about 20 MB of RSS and a tenth of a second before the
 * first file was read (CLI start-up 0.25-0.33 s against 0.08-0.14 s for
 * `node -e 0` here), on every run: memory and warm-run time are issue 15's
 * rows. Each is a CommonJS build, so it loads synchronously where it is
 * first wanted.
 */
import { createRequire } from 'node:module';
import type { XMLParser } from 'fast-xml-parser';

const require = createRequire(import.meta.url);

/** A function that requires `name` on its first call and returns the same module after. */
function onFirstUse<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}

/** The `yaml` package. */
export const yamlParser = onFirstUse<typeof import('yaml')>('yaml');

/** `aws4`: signs S3 requests (Signature Version 4). */
export const requestSigner = onFirstUse<typeof import('aws4')>('aws4');

/** fast-xml-parser's XMLParser class. */
const xmlPackage = onFirstUse<{ XMLParser: typeof XMLParser }>('fast-xml-parser');
export const xmlParserClass = (): typeof XMLParser => xmlPackage().XMLParser;

/** `picomatch`: glob matching. */
export const globMatcher = onFirstUse<typeof import('picomatch')>('picomatch');
