/** The login throttle moved to src/auth/login-throttle.ts (SMTP AUTH shares it); same API. */
export * from '../../auth/login-throttle.js';
