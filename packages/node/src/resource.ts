import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { env } from './env.js';
import type { SetupTelemetryOptions } from './types.js';

export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_SERVICE_VERSION = 'service.version';
export const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';
/** The pre-1.27 name most backends still group by. */
export const ATTR_DEPLOYMENT_ENVIRONMENT = 'deployment.environment';

/**
 * The resource: SDK defaults, then host/process facts, then `OTEL_RESOURCE_ATTRIBUTES` /
 * `OTEL_SERVICE_NAME`, then the explicit options (explicit code wins).
 */
export function buildResource(options: SetupTelemetryOptions): any {
  const detected = detectResources({ detectors: [processDetector, hostDetector, envDetector] });
  const explicit: Attributes = { ...options.resourceAttributes };
  const serviceName = options.serviceName ?? (env('OTEL_SERVICE_NAME') ? undefined : appName());
  if (options.serviceName) explicit[ATTR_SERVICE_NAME] = options.serviceName;
  else if (serviceName && !hasServiceNameInEnv()) explicit[ATTR_SERVICE_NAME] = serviceName;
  if (options.serviceVersion) explicit[ATTR_SERVICE_VERSION] = options.serviceVersion;
  if (options.environment) {
    explicit[ATTR_DEPLOYMENT_ENVIRONMENT_NAME] = options.environment;
    explicit[ATTR_DEPLOYMENT_ENVIRONMENT] = options.environment;
  }
  return defaultResource().merge(detected).merge(resourceFromAttributes(explicit));
}

function hasServiceNameInEnv(): boolean {
  return /(^|,)\s*service\.name\s*=/.test(env('OTEL_RESOURCE_ATTRIBUTES') ?? '');
}

/** The `name` in the application's package.json (the working directory's), if any. */
function appName(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
    return typeof pkg?.name === 'string' && pkg.name ? pkg.name : undefined;
  } catch {
    return undefined;
  }
}
