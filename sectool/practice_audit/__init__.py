"""GP-clinic security self-assessment: question bank, scoring, storage, web app."""
