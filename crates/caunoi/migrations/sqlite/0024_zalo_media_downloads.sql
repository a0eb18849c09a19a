-- Bytes downloaded from Zalo's CDN per citizen (channels::zalo::media): a citizen's photos,
-- videos and files count against the same hourly and daily quotas as a web chat session, so
-- one account cannot fill the media disk or bucket. `contact_key` is a keyed hash of the OA and
-- the Zalo user id, never the id itself; rows older than a day are deleted as new ones come.
CREATE TABLE zalo_media_downloads (
    id INTEGER PRIMARY KEY,
    contact_key TEXT NOT NULL,
    at INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
CREATE INDEX zalo_media_downloads_contact ON zalo_media_downloads (contact_key, at);
