// The one-time credential token a vendor admin hands to an engineer:
// `assent-credential:` + base64url(JSON { certificate, privateKey }).
import { z } from 'zod';
import { AssentError } from '../../protocol/errors';
import { EngineerCertificate } from '../../protocol/identity';

const PREFIX = 'assent-credential:';
const Token = z.object({
  certificate: EngineerCertificate,
  privateKey: z.string().min(40).max(400),
});

/** Encodes a certificate and its PKCS#8 private key (base64url) as a token. */
export function encodeCredentialToken(
  certificate: EngineerCertificate,
  privateKey: string,
): string {
  return PREFIX + Buffer.from(JSON.stringify({ certificate, privateKey })).toString('base64url');
}

/** Decodes a token; throws CREDENTIAL_INVALID with a clear message. */
export function decodeCredentialToken(token: string): z.infer<typeof Token> {
  const text = token.trim();
  if (!text.startsWith(PREFIX))
    throw new AssentError('CREDENTIAL_INVALID', `A credential token starts with "${PREFIX}".`);
  try {
    return Token.parse(
      JSON.parse(Buffer.from(text.slice(PREFIX.length), 'base64url').toString('utf8')),
    );
  } catch (cause) {
    throw new AssentError('CREDENTIAL_INVALID', 'The credential token is damaged or incomplete.', {
      cause,
    });
  }
}
