-- 8: languages. A server's digest is posted in the language it chose (language: a tag such as
-- 'ko' or 'en'; NULL: the server's own, guild_locale, recorded when the settings are saved, so
-- the scheduler knows it without an interaction). An alert's DM is written in its user's
-- language: the one of their last command (alerts.language; NULL: the default).

ALTER TABLE guild_digests ADD COLUMN language TEXT;

ALTER TABLE guild_digests ADD COLUMN guild_locale TEXT;

ALTER TABLE alerts ADD COLUMN language TEXT;
