import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { AuthConfig } from '../../src/config.js';

/** One signing key of the provider. */
interface ProviderKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK;
}

export interface TokenOptions {
  /** Claims besides the defaults (sub is required). */
  claims?: JWTPayload;
  kid?: string;
  alg?: 'RS256' | 'ES256';
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative for an expired token. Default 300. */
  expiresIn?: number;
  /** Seconds from now the token becomes valid (nbf). */
  notBefore?: number;
}

/**
 * A stand-in identity provider: real RS256 and ES256 key pairs, its JWKS served over HTTP on 127.0.0.1
 * (what the server fetches with jose's createRemoteJWKSet), and tokens signed with jose.
 */
export class TestIdentityProvider {
  readonly audience = 'ingest-test';
  private keys: ProviderKey[] = [];
  /** Keys signed with but not published (an unknown kid). */
  private hidden: ProviderKey[] = [];
  /** JWKS requests served. */
  fetches = 0;
  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(): Promise<TestIdentityProvider> {
    let provider: TestIdentityProvider | undefined;
    const server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json' && provider) {
        provider.fetches++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: provider.keys.map((k) => k.publicJwk) }));
        return;
      }
      res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    provider = new TestIdentityProvider(server, `http://127.0.0.1:${port}`);
    await provider.addKey('RS256');
    await provider.addKey('ES256');
    return provider;
  }

  /** What the server is configured with (INGEST_AUTH_*): the JWKS at the issuer's default location. */
  get config(): AuthConfig {
    return {
      issuer: this.issuer,
      audience: this.audience,
      jwksUrl: `${this.issuer}/.well-known/jwks.json`,
      clockToleranceSeconds: 30,
    };
  }

  /** A new key pair; published unless `publish` is false (then tokens carry a kid the JWKS lacks). */
  async addKey(alg: 'RS256' | 'ES256', publish = true): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `${alg.toLowerCase()}-${Math.random().toString(36).slice(2, 10)}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    const key = { kid, alg, privateKey, publicJwk };
    (publish ? this.keys : this.hidden).push(key);
    return kid;
  }

  /** Publishes a key made with publish = false (the provider rotated it in). */
  publish(kid: string): void {
    const key = this.hidden.find((k) => k.kid === kid);
    if (!key) throw new Error(`no hidden key ${kid}`);
    this.hidden = this.hidden.filter((k) => k !== key);
    this.keys.push(key);
  }

  /** Removes a key from the JWKS (the provider retired it). */
  retire(kid: string): void {
    this.keys = this.keys.filter((k) => k.kid !== kid);
  }

  /** The public key of a published key, as JWK (for forging an HS256 token keyed with it). */
  publicJwk(kid?: string): JWK {
    return (kid ? this.keys.find((k) => k.kid === kid) : this.keys[0])!.publicJwk;
  }

  /** A signed token for user `sub`. */
  async token(sub: string, options: TokenOptions = {}): Promise<string> {
    const all = [...this.keys, ...this.hidden];
    const key = options.kid
      ? all.find((k) => k.kid === options.kid)
      : this.keys.find((k) => k.alg === (options.alg ?? 'RS256'));
    if (!key) throw new Error('no such key');
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...options.claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? this.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 300));
    if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
    return jwt.sign(key.privateKey);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
