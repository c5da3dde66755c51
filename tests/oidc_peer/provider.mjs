// A real OpenID Connect provider for the test suite, shaped like Pro Santé Connect.
//
//   node tests/oidc_peer/provider.mjs --port 9999 --client-id enrs --client-secret s3cret \
//        --redirect-uri http://testserver/comptes/oidc/psc/login/callback/ [--redirect-uri ...]
//
// It is the npm package `oidc-provider` (a certified implementation), not a mock: discovery,
// authorization-code flow with mandatory PKCE (S256), signed ID tokens, userinfo.
// Only the interaction (the login page) is ours, so that tests can script it:
//   GET  /interaction/:uid         an HTML form with one field, "login": the idNatPS to log in as
//   POST /interaction/:uid/login   finishes the login (acr = the requested acr_values, else eidas1)
//                                  and grants the requested scopes (no consent page: PSC has none)
//   GET  /test/last-authorization  JSON of the parameters of the last authorization request
//   GET  /session/end               RP-initiated logout (confirmation page in French, then back
//                                  to a registered post_logout_redirect_uri)
// Claims follow PSC's userinfo: SubjectNameID (idNatPS), SubjectRefPro, given/family name.
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '9999' },
    'client-id': { type: 'string', default: 'enrs-test' },
    'client-secret': { type: 'string', default: 'enrs-test-secret-0123456789abcdef' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-uri': { type: 'string', multiple: true, default: [] },
  },
});

const issuer = `http://127.0.0.1:${args.port}`;
let lastAuthorization = null;

// Every login name is an account: the tests choose the idNatPS they need.
async function findAccount(ctx, accountId) {
  return {
    accountId,
    async claims() {
      return {
        sub: `psc-${accountId}`,
        SubjectNameID: accountId,
        preferred_username: accountId,
        SubjectRefPro: { codeCivilite: 'M', exercices: [{ codeProfession: '10' }] },
        given_name: 'Julien',
        family_name: 'Morel',
      };
    },
  };
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    redirect_uris: args['redirect-uri'],
    post_logout_redirect_uris: args['post-logout-uri'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  findAccount,
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  claims: {
    acr: null,
    auth_time: null,
    openid: ['sub'],
    scope_all: ['SubjectNameID', 'preferred_username', 'SubjectRefPro', 'given_name', 'family_name'],
  },
  scopes: ['openid', 'scope_all'],
  pkce: { methods: ['S256'], required: () => true },
  features: {
    devInteractions: { enabled: false },
    // RP-initiated logout, as PSC offers it: a confirmation page, then back to the RP.
    rpInitiatedLogout: { enabled: true, logoutSource },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['enrs-test-cookie-key-not-a-secret'] },
  // Test-only: let short-lived ids be inspected without waiting.
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  if (ctx.path === '/auth' && ctx.method === 'GET') {
    lastAuthorization = { ...ctx.query };
  }
  await next();
});

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function loginPage(uid, clientId) {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>PSC de test</title></head>
<body><main><h1>Pro Santé Connect (fournisseur de test)</h1>
<p>Client : ${escapeHtml(clientId)}</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="login">Identifiant national (idNatPS)</label>
<input id="login" name="login" autocomplete="off" required>
<button type="submit">Valider</button>
</form></main></body></html>`;
}

async function logoutSource(ctx, form) {
  ctx.body = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>PSC de test</title></head>
<body><main><h1>Déconnexion de Pro Santé Connect</h1>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Me déconnecter</button>
</main></body></html>`;
}

async function grantFor(details, accountId) {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  return grant.save();
}

async function finishLogin(req, res) {
  const details = await provider.interactionDetails(req, res);
  const form = await readForm(req);
  const accountId = (form.get('login') || '').trim();
  if (!accountId) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('login manquant');
    return;
  }
  const requestedAcr = String(details.params.acr_values || 'eidas1').split(' ')[0];
  const grantId = await grantFor(details, accountId);
  await provider.interactionFinished(req, res, {
    login: { accountId, acr: requestedAcr, amr: ['pwd'] },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

async function interaction(req, res, url) {
  const match = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return false;
  if (req.method === 'POST' && match[2]) {
    await finishLogin(req, res);
  } else {
    const details = await provider.interactionDetails(req, res);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginPage(details.uid, details.params.client_id));
  }
  return true;
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname === '/test/last-authorization') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(lastAuthorization));
      return;
    }
    if (await interaction(req, res, url)) return;
    callback(req, res);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(String(error));
  }
});

server.listen(Number(args.port), '127.0.0.1', () => {
  process.stdout.write(`oidc-peer listening on ${issuer}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
