/** The authenticated user of a request (`req.user`). */
export interface AuthUser {
  id: number;
  username: string;
  isSuperuser: boolean;
  groupIds: number[];
  via: 'session' | 'token';
}

declare global {
  namespace Express {
    interface Request {
      user?: AuthUser;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    csrfToken?: string;
  }
}
