-- 3: what the Hugging Face daily papers API adds to a paper (Store.import_api_digest).

ALTER TABLE papers ADD COLUMN ai_summary TEXT;

-- keywords: a JSON list of strings.
ALTER TABLE papers ADD COLUMN keywords TEXT;

ALTER TABLE papers ADD COLUMN github_repo TEXT;

ALTER TABLE papers ADD COLUMN github_stars INTEGER;

ALTER TABLE papers ADD COLUMN project_page TEXT;
