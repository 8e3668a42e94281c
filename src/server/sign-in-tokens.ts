import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import type { AuthConfig } from '../config.js';
import type { SignInClaims } from '../db/index.js';
import { IngestError } from '../errors.js';
import { PEOPLE_LIMITS } from '../limits.js';

/** The signatures a provider's token may carry: asymmetric only (never `none`, never an HMAC secret). */
export const SIGN_IN_ALGORITHMS = ['RS256', 'ES256'];

/** How long one fetch of the provider's JWKS may take before sign-in answers 503. */
const JWKS_TIMEOUT_MS = 5_000;

/** JOSE failures that mean "this token is not good", as opposed to "the provider could not be asked". */
const TOKEN_FAULTS = new Set<string>([
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWTInvalid.code,
  errors.JWSInvalid.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JWKInvalid.code,
]);

/**
 * Verifies the identity provider's sign-in tokens (JWTs) with jose against the provider's JWKS
 * (INGEST_AUTH_JWKS_URL): RS256 or ES256 only, `iss` and `aud` as configured, `exp` and `nbf` within the
 * clock tolerance, a `sub`. The key set is fetched once and cached; a token signed with a key id the cache
 * does not hold makes it fetch again (at most once per PEOPLE_LIMITS.jwksRefreshCooldownMs), so a key
 * rotated in at the provider is used without a restart.
 */
export class SignInTokens {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly config: AuthConfig) {
    this.keys = createRemoteJWKSet(new URL(config.jwksUrl), {
      cooldownDuration: PEOPLE_LIMITS.jwksRefreshCooldownMs,
      timeoutDuration: JWKS_TIMEOUT_MS,
    });
  }

  /** The claims of a valid token; UNAUTHORIZED for any invalid one, IDENTITY_PROVIDER_UNAVAILABLE when the keys cannot be had. */
  async verify(token: string): Promise<SignInClaims> {
    if (token.length > PEOPLE_LIMITS.maxTokenChars)
      throw new IngestError('UNAUTHORIZED', 'invalid sign-in token: too long');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.config.issuer,
        ...(this.config.audience !== undefined && { audience: this.config.audience }),
        algorithms: SIGN_IN_ALGORITHMS,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && TOKEN_FAULTS.has(code))
        throw new IngestError('UNAUTHORIZED', `invalid sign-in token: ${describe(err)}`, {}, { cause: err });
      throw new IngestError(
        'IDENTITY_PROVIDER_UNAVAILABLE',
        "the identity provider's signing keys could not be fetched; retry later",
        {},
        { cause: err },
      );
    }
    return claimsOf(payload);
  }
}

/** What a client may learn of why its token failed: the kind of failure, never key material. */
function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `the ${err.claim} claim is not accepted`;
  if (err instanceof errors.JOSEAlgNotAllowed)
    return `algorithm not accepted (${SIGN_IN_ALGORITHMS.join(', ')} only)`;
  if (err instanceof errors.JWKSNoMatchingKey)
    return "signed with a key the provider's key set does not have";
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  return 'malformed';
}

function text(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : null;
}

function claimsOf(payload: JWTPayload): SignInClaims {
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub === '' || sub.length > 255)
    throw new IngestError('UNAUTHORIZED', 'invalid sign-in token: the sub claim is not a user id');
  const email = text(payload.email, 320);
  return {
    externalId: sub,
    email: email && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null,
    // Invitations go to an email only when the provider says it verified it (OpenID Connect's claim).
    emailVerified: payload.email_verified === true,
    name: text(payload.name, 200),
  };
}
