/** The build's name, set by vite.config.ts from ZHIXUN_BUILD or the build time. */
declare const __APP_BUILD__: string
