/**
 * One sample per credential family the redactor must catch, shaped like the real thing but made
 * up (assembled from parts so secret scanners do not flag this file). `secret` is the part that
 * must never reach output.
 */
export interface SecretSample {
  family: string;
  /** The credential as it would appear in text. */
  value: string;
  /** What must be gone after redaction (the value, or its sensitive tail). */
  secret: string;
}

const body36 = 'R4nd0mT0k3nB0dyAbCdEfGhIjKlMnOpQrSt';
const pem = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
  '-----END RSA PRIVATE KEY-----',
].join('\n');

export const SECRET_SAMPLES: SecretSample[] = [
  { family: 'Slack bot token', value: 'xoxb-1234-abcd', secret: '1234-abcd' },
  { family: 'Slack bot token (full)', value: `xoxb-${'123456789012'}-${'1234567890123'}-${'AbCdEfGhIjKlMnOpQrStUvWx'}`, secret: 'AbCdEfGhIjKlMnOpQrStUvWx' },
  { family: 'Slack app token', value: `xapp-1-A0123456789-${'1234567890123'}-${'abcdef0123456789'}`, secret: 'abcdef0123456789' },
  { family: 'Slack user token', value: 'xoxp-2222-3333-4444-deadbeefcafe', secret: 'deadbeefcafe' },
  { family: 'Slack legacy workspace token', value: 'xoxa-2-5555-6666-feedface', secret: 'feedface' },
  { family: 'Slack refresh token', value: 'xoxe-1-My0xLTEyMzQ1Ni1hYmNkZWY', secret: 'My0xLTEyMzQ1Ni1hYmNkZWY' },
  { family: 'Slack rotating token', value: 'xoxe.xoxp-1-Mi0yLTEyMzQ1Ni1zZWNyZXQ', secret: 'Mi0yLTEyMzQ1Ni1zZWNyZXQ' },
  { family: 'Slack session token', value: 'xoxs-7777-8888-0123456789abcdef', secret: '0123456789abcdef' },
  { family: 'GitHub personal token', value: `ghp_${body36}`, secret: body36 },
  { family: 'GitHub OAuth token', value: `gho_${body36}`, secret: body36 },
  { family: 'GitHub app installation token', value: `ghs_${body36}`, secret: body36 },
  { family: 'GitHub user-to-server token', value: `ghu_${body36}`, secret: body36 },
  { family: 'GitHub refresh token', value: `ghr_${body36}`, secret: body36 },
  { family: 'GitHub fine-grained token', value: `github_pat_11ABCDEFG0${'abcdefghijkl'}_${'MnOpQrStUvWxYz0123456789'}`, secret: 'MnOpQrStUvWxYz0123456789' },
  { family: 'Anthropic API key', value: `sk-ant-api03-${'Zx9_Qw8-Er7Ty6Ui5Op4As3Df2Gh1Jk0'}-AA`, secret: 'Zx9_Qw8-Er7Ty6Ui5Op4As3Df2Gh1Jk0' },
  { family: 'AWS access key id', value: `AKIA${'IOSFODNN7EXAMPLE'}`, secret: 'IOSFODNN7EXAMPLE' },
  { family: 'AWS temporary access key id', value: `ASIA${'Y34FZKBOKMUTVV7A'}`, secret: 'Y34FZKBOKMUTVV7A' },
  {
    family: 'JWT',
    value: `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${'eyJzdWIiOiIxMjM0NTY3ODkwIn0'}.${'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'}`,
    secret: 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  },
  { family: 'PEM private key', value: pem, secret: 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun' },
  { family: 'Bearer token', value: 'Bearer abc123.def456-ghi789', secret: 'abc123.def456-ghi789' },
  { family: 'Authorization header (Basic)', value: 'Authorization: Basic dXNlcjpwYXNzd29yZA==', secret: 'dXNlcjpwYXNzd29yZA==' },
  { family: 'password=', value: 'password=hunter2', secret: 'hunter2' },
  { family: 'passwd:', value: 'passwd: Tr0ub4dor', secret: 'Tr0ub4dor' },
  { family: 'secret=', value: 'secret=s3kr1t-v4lue', secret: 's3kr1t-v4lue' },
  { family: 'token=', value: 'token=opaque-0f8e7d6c', secret: 'opaque-0f8e7d6c' },
  { family: 'api_key=', value: 'api_key=k_live_51Hx', secret: 'k_live_51Hx' },
  { family: 'URL with credentials', value: 'https://deploy:pa55w0rd@registry.example.com/v2/', secret: 'pa55w0rd' },
];

/** Text that looks busy but holds no secret: the redactor must leave it exactly as it is. */
export const ORDINARY_TEXT = [
  'commit 3f786850e387550fdab836ed7e6dc881de23001b by alice',
  'run 123e4567-e89b-12d3-a456-426614174000 finished',
  'message ts 1700000000.000100 in C0123456789 from U0123456789 (team T0123456789)',
  'pod api-7d9f8b6c5-x2x9z restarted 3 times on 10.0.0.12:8080',
  'image sha256:9b2a7c0f6d1e4c3b8a5f0e9d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b',
  'usage: input_tokens=512 max_tokens: 1024 tokens: 40',
  'Basic configuration loaded; Token validation failed; bearer of bad news',
  'clone ssh://git@github.com/acme/api.git and https://github.com/acme/api/pull/42',
  'postgres://db.internal:5432/opsbot?sslmode=require',
  'mail alice@example.com at 2026-01-01T00:00:00.000Z',
  'SLACK_BOT_TOKEN: expected a bot token starting with xoxb-',
  'password: required',
  'GET /api/v1/namespaces/prod/pods?limit=500 200 in 12ms',
];
