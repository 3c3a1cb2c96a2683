/** HS256 tokens as the .NET backend signs them, for tests with users on (JWT_SECRET_KEY = TEST_JWT_SECRET). */
import { SignJWT } from 'jose';

export const TEST_JWT_SECRET = 'a-test-secret-that-is-long-enough-0123456789';

export function testToken(sub: string, role = 'User', secret = TEST_JWT_SECRET): Promise<string> {
  return new SignJWT({ sub, role }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt()
    .setIssuer('JwstDataAnalysis').setAudience('JwstDataAnalysisClient').setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
}
