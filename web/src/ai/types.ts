/** The AI assistant's messages (codepair/api/schemas/ai.py AiMessageOut; docs/ai.md). */
export interface AiMessage {
  id: string;
  role: "user" | "assistant";
  author: { name: string; role: string };
  text: string;
  at: string;
  private: boolean;
  status: string;
  reply_to: string | null;
  include_code: boolean;
  tokens: number;
  /** Why an answer failed or was cut (only on the live `ai.message`). */
  error?: string;
}
