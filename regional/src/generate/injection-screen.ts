/**
 * A cheap screen for likely prompt-injection text in user messages and retrieved documents. It
 * flags (it does not prove); flagged passages are dropped from the prompt and the flag is
 * reported with the answer.
 */
const PATTERNS: [RegExp, string][] = [
  [/\b(ignore|disregard|forget)\b.{0,40}\b(previous|prior|above|all|earlier|your)\b.{0,20}\b(instructions?|prompts?|rules?|directions?)\b/i, 'override_instructions'],
  [/\b(system|developer)\s*(prompt|message|instructions?)\b/i, 'mentions_system_prompt'],
  [/\byou are now\b|\bact as\b.{0,30}\b(dan|jailbreak|unrestricted|developer mode)\b|\bdeveloper mode\b/i, 'role_override'],
  [/\b(reveal|print|show|repeat|output)\b.{0,30}\b(prompt|instructions|hidden|secret|api key|password)\b/i, 'exfiltration'],
  [/<\/?(system|assistant|instructions?)>|\[\/?INST\]|<\|im_start\|>|###\s*(system|instruction)/i, 'chat_markup'],
  [/\b(do not|don't)\s+(tell|inform)\s+the\s+user\b/i, 'hide_from_user'],
];

export interface InjectionFlag {
  flagged: boolean;
  reasons: string[];
}

export function screenForInjection(text: string): InjectionFlag {
  const reasons = PATTERNS.filter(([re]) => re.test(text)).map(([, r]) => r);
  return { flagged: reasons.length > 0, reasons };
}
