-- The buttons of the bot's replies are part of the conversation's messages (for every channel
-- that shows buttons), so the table is named for what it holds; `conversations` owns it.
ALTER TABLE webchat_reply_buttons RENAME TO reply_buttons;
