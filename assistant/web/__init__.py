"""Web chat (Gradio) for Avtalsassistenten: `assistant serve`, feedback and its export."""
