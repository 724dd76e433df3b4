// A real OpenID provider for the single sign-on tests: node-oidc-provider (certified), with
// its development sign-in pages (any login name, any password). The login name is the
// account id; "name@domain" accounts have that email, verified unless the name starts with
// "unverified-". Configured from the environment; prints "ready" once listening.
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const env = process.env;
const issuer = env.ISSUER;
const jwks = JSON.parse(readFileSync(env.JWKS_FILE, "utf8"));

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: env.CLIENT_ID,
      client_secret: env.CLIENT_SECRET,
      redirect_uris: [env.REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  jwks,
  cookies: { keys: ["test-provider-cookie-key-0123456789"] },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  ttl: { IdToken: Number(env.ID_TOKEN_TTL || 3600) },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        const email = id.includes("@") ? id : undefined;
        return {
          sub: id,
          email,
          email_verified: email ? !id.startsWith("unverified-") : undefined,
          name: `SSO ${id.split("@")[0]}`,
        };
      },
    };
  },
});
provider.proxy = false;
provider.listen(Number(env.PORT), "127.0.0.1", () => {
  console.log("ready");
});
