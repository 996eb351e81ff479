declare const __PACKAGE_VERSION__: string | undefined;

export const PACKAGE_NAME = '@genai-otel/core';
export const PACKAGE_VERSION: string =
  typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-dev';
