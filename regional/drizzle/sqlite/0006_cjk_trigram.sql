-- Text in scripts written without spaces (Japanese, Chinese, Thai…) has no words for the porter
-- index: a second FTS5 index over chunks.text with the trigram tokenizer finds it by substring
-- (fts-query.ts ngramTerms). External content, kept in sync by triggers like chunks_fts.
CREATE VIRTUAL TABLE `chunks_trgm` USING fts5(`text`, content='chunks', content_rowid='id', tokenize='trigram');
--> statement-breakpoint
CREATE TRIGGER `chunks_trgm_ai` AFTER INSERT ON `chunks` BEGIN
  INSERT INTO `chunks_trgm`(rowid, `text`) VALUES (new.`id`, new.`text`);
END;
--> statement-breakpoint
CREATE TRIGGER `chunks_trgm_ad` AFTER DELETE ON `chunks` BEGIN
  INSERT INTO `chunks_trgm`(`chunks_trgm`, rowid, `text`) VALUES ('delete', old.`id`, old.`text`);
END;
--> statement-breakpoint
CREATE TRIGGER `chunks_trgm_au` AFTER UPDATE OF `text` ON `chunks` BEGIN
  INSERT INTO `chunks_trgm`(`chunks_trgm`, rowid, `text`) VALUES ('delete', old.`id`, old.`text`);
  INSERT INTO `chunks_trgm`(rowid, `text`) VALUES (new.`id`, new.`text`);
END;
--> statement-breakpoint
INSERT INTO `chunks_trgm`(`chunks_trgm`) VALUES ('rebuild');
