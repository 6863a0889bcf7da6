export { NonceIssuer, type NonceIssuerOptions, type NonceInspection, type NonceStatus } from './nonce';
export {
  challengeHeader,
  digestHa1,
  digestResponse,
  digestUriMatches,
  DigestVerifier,
  parseAuthorization,
  type DigestCredentials,
  type DigestFailure,
  type DigestResult,
  type DigestVerifierOptions,
} from './digest';
