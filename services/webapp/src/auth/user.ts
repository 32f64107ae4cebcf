/** The authenticated user of a request (`req.user`). */
export interface AuthUser {
  id: number;
  username: string;
  isSuperuser: boolean;
  groupIds: number[];
  /** The session cookie, an API token (`Bearer`) or HTTP Basic on the API. */
  via: 'session' | 'token' | 'basic';
}

declare global {
  namespace Express {
    interface Request {
      user?: AuthUser;
      /** This request's CSRF token (`auth/csrf.ts`). */
      csrfToken?: () => string;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    userId?: number;
  }
}
