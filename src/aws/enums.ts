// The service's enums, as the SDK ships them, so the graph's enums follow the SDK's model.
export {
  AdditionalConstraintsElement,
  AuthenticatedElement,
  AuthResources,
  DeliveryMethod,
  MFAMode,
  MfaTypesElement,
  Mode,
  OAuthGrantType,
  OAuthScopesElement,
  RequiredSignUpAttributesElement,
  ResolutionStrategy,
  Service,
  ServiceName,
  SignInMethod,
  Status,
  UnAuthenticatedElement,
} from '@aws-sdk/client-amplifybackend';

// The Amplify console API's (ListApps, GetApp).
export { Platform } from '@aws-sdk/client-amplify';
