// A real OpenID provider for test_idp_keys.py: oidc-provider (a certified
// implementation, from build/npm), offline, with the client_credentials
// grant and JWT access tokens for one resource (RFC 8707, RFC 9068).
// usage: node oidc_idp.mjs PORT ALG   (prints "ready" when listening)

import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const npm = process.env.GOVERN_NPM;
const { default: Provider } = await import(pathToFileURL(
  path.join(npm, 'oidc-provider', 'lib', 'index.js')).href);

const port = Number(process.argv[2]);
const alg = process.argv[3] || 'ES256';
const { privateKey } = alg.startsWith('ES')
  ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
  : generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = {
  ...privateKey.export({ format: 'jwk' }),
  kid: 'oidc-' + alg.toLowerCase(), alg, use: 'sig',
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'acme', client_secret: 'acme-secret',
    grant_types: ['client_credentials'], redirect_uris: [],
    response_types: [], id_token_signed_response_alg: alg,
  }],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:govern',
      getResourceServerInfo: () => ({
        scope: 'orders:read orders:write', audience: 'urn:govern',
        accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg } },
      }),
      useGrantedResource: () => true,
    },
  },
  jwks: { keys: [jwk] },
});

provider.listen(port, '127.0.0.1', () => console.log('ready'));
