import * as oidc from "openid-client";
import type { Clock } from "../../clock.js";

/** How long discovered IdP metadata and its signing keys are reused before asking again. */
const METADATA_TTL_MS = 60 * 60_000;
/** Seconds an IdP may take to answer discovery, the token exchange or its JWKS. */
const IDP_TIMEOUT_SECONDS = 10;

interface Cached {
  server: oidc.ServerMetadata;
  jwks?: oidc.ExportedJWKSCache;
  fetchedAt: number;
}

export interface OidcClientSettings {
  org: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Configuration version: a changed IdP drops the cached metadata. */
  updatedAt: string;
}

/**
 * openid-client configurations for the orgs' IdPs. Discovery metadata and the JWKS are cached per
 * org; a fresh Configuration is made for every use, because it freezes `clockSkew` and expiry
 * must be judged by the app's clock (in production the system clock, skew 0).
 * A plain-http issuer is accepted only when the operator allows private targets (closed networks,
 * tests): anywhere else the ID token and the client secret must travel over TLS.
 */
export class OidcClients {
  private readonly cache = new Map<string, Cached & { version: string }>();

  constructor(
    private readonly clock: Clock,
    private readonly allowInsecure: boolean,
  ) {}

  /** Discovery of an issuer not yet saved, so a typo is refused when the IdP is configured. */
  async discover(issuer: string, clientId: string, clientSecret: string): Promise<oidc.Configuration> {
    return oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(clientSecret), this.options(issuer));
  }

  async configFor(settings: OidcClientSettings): Promise<oidc.Configuration> {
    const key = settings.org;
    let cached = this.cache.get(key);
    const now = Date.now();
    if (!cached || cached.version !== settings.updatedAt || now - cached.fetchedAt > METADATA_TTL_MS) {
      const found = await this.discover(settings.issuer, settings.clientId, settings.clientSecret);
      cached = { server: { ...found.serverMetadata() }, fetchedAt: now, version: settings.updatedAt };
      this.cache.set(key, cached);
    }
    const skew = Math.round((this.clock.now().getTime() - Date.now()) / 1000);
    const config = new oidc.Configuration(
      cached.server,
      settings.clientId,
      { [oidc.clockSkew]: skew },
      oidc.ClientSecretBasic(settings.clientSecret),
    );
    config.timeout = IDP_TIMEOUT_SECONDS;
    if (this.insecure(settings.issuer)) oidc.allowInsecureRequests(config);
    // openid-client trusts TLS alone for an ID token from the token endpoint unless told to check
    // its signature too; the signature against the IdP's JWKS is what we require (SPEC 14).
    oidc.enableNonRepudiationChecks(config);
    if (cached.jwks) oidc.setJwksCache(config, cached.jwks);
    return config;
  }

  /** Keeps the keys fetched while validating, so the next sign-in need not fetch them again. */
  keepJwks(org: string, config: oidc.Configuration): void {
    const cached = this.cache.get(org);
    const jwks = oidc.getJwksCache(config);
    if (cached && jwks) cached.jwks = jwks;
  }

  forget(org: string): void {
    this.cache.delete(org);
  }

  private insecure(issuer: string): boolean {
    return this.allowInsecure && issuer.startsWith("http:");
  }

  private options(issuer: string): oidc.DiscoveryRequestOptions {
    return { timeout: IDP_TIMEOUT_SECONDS, ...(this.insecure(issuer) ? { execute: [oidc.allowInsecureRequests] } : {}) };
  }
}
