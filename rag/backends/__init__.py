"""Answer backends: extractive (offline), openai (any compatible endpoint), local (llama.cpp)."""
