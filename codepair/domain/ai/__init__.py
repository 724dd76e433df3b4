"""The AI assistant (docs/ai.md): what the model is sent, the streaming client, the room's
conversation, the caps, and the drafted summary."""
