import { describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';

describe('regional configuration', () => {
  it('answers offline with the extractive generator unless AWS credentials are configured', () => {
    expect(loadConfig({}).LLM_BACKEND).toBe('extractive');
    expect(loadConfig({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE' }).LLM_BACKEND).toBe('bedrock');
    expect(loadConfig({ AWS_PROFILE: 'prod', LLM_BACKEND: 'openai' }).LLM_BACKEND).toBe('openai');
  });

  it('has the documented defaults and refuses bad values with the variable named', () => {
    const c = loadConfig({});
    expect([c.PORT, c.BATCH_MAX_SIZE, c.BATCH_MAX_DELAY_MS]).toEqual([8788, 32, 5]);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ LLM_BACKEND: 'gpt' })).toThrow(/LLM_BACKEND/);
  });

  it('takes another Bedrock endpoint (a VPC endpoint, a local stand-in) and refuses one that is not http(s)', () => {
    expect(loadConfig({ BEDROCK_ENDPOINT: 'https://vpce-1.bedrock-runtime.{region}.vpce.amazonaws.com' }).BEDROCK_ENDPOINT).toContain('{region}');
    expect(loadConfig({}).BEDROCK_ENDPOINT).toBeUndefined();
    expect(() => loadConfig({ BEDROCK_ENDPOINT: 'bedrock.local:8080' })).toThrow(/BEDROCK_ENDPOINT/);
  });
});
