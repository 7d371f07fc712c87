import { AmplifyBackendClient } from '@aws-sdk/client-amplifybackend';
import { startEmulator, type EmulatorOptions } from '../src/emulator/server.js';

export const fakeCredentials = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' };

/** An emulator on 127.0.0.1, port 0, on a manual clock. */
export function startTestEmulator(options: EmulatorOptions = {}) {
  return startEmulator({ port: 0, host: '127.0.0.1', ...options });
}

/** The real SDK client pointed at an emulator, so its serializer and deserializer run. */
export function sdkClient(url: string, maxAttempts = 1) {
  return new AmplifyBackendClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: fakeCredentials,
    maxAttempts,
  });
}

/** A minimal valid CreateBackendAuth resource config. */
export const authConfig = () => ({
  AuthResources: 'USER_POOL_ONLY' as const,
  Service: 'COGNITO' as const,
  UserPoolConfigs: {
    RequiredSignUpAttributes: ['EMAIL' as const],
    SignInMethod: 'EMAIL' as const,
    UserPoolName: 'pool',
  },
});
