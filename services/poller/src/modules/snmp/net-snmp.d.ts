/** The part of net-snmp 3.x (plain JavaScript, no bundled types) this module uses. */
declare module 'net-snmp' {
  interface Varbind {
    oid: string;
    type: number;
    value: unknown;
  }
  interface Session {
    get(oids: string[], callback: (error: Error | null, varbinds?: Varbind[]) => void): void;
    close(): void;
    on(event: 'error', listener: (error: Error) => void): void;
  }
  interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    version?: number;
    transport?: 'udp4' | 'udp6';
    idBitsSize?: 16 | 32;
  }
  interface V3User {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }
  const snmp: {
    Version1: number;
    Version2c: number;
    Version3: number;
    SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
    AuthProtocols: Record<'none' | 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512', number>;
    PrivProtocols: Record<'none' | 'des' | 'aes' | 'aes256b' | 'aes256r', number>;
    isVarbindError(varbind: Varbind): boolean;
    varbindError(varbind: Varbind): string;
    createSession(target: string, community: string, options?: SessionOptions): Session;
    createV3Session(target: string, user: V3User, options?: SessionOptions): Session;
  };
  export default snmp;
  export type { Session, SessionOptions, V3User, Varbind };
}
