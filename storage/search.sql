-- Full-text search: tokenizer, stemmers, stop words and the BM25 table macro `search_articles`.
-- Recreated with the views on every writable open. `stem` comes from DuckDB's FTS extension (the
-- duckdb-extension-fts wheel): a connection that searches must LOAD it first (talkwatch's own always do).

-- Words: maximal runs of letters, digits and combining marks, lower-cased (DuckDB folds İ to i).
CREATE OR REPLACE MACRO tw_tokens(s) AS
    list_filter(string_split_regex(lower(coalesce(s, '')), '[^\p{L}\p{N}\p{M}]+'), t -> length(t) BETWEEN 1 AND 64);

-- The Snowball stemmer of an ISO 639-1 language, where the FTS extension has one.
CREATE OR REPLACE MACRO tw_stemmer(lang) AS CASE lang
    WHEN 'en' THEN 'english' WHEN 'ru' THEN 'russian' WHEN 'tr' THEN 'turkish' WHEN 'de' THEN 'german'
    WHEN 'fr' THEN 'french' WHEN 'es' THEN 'spanish' WHEN 'it' THEN 'italian' WHEN 'pt' THEN 'portuguese'
    WHEN 'nl' THEN 'dutch' WHEN 'sv' THEN 'swedish' WHEN 'no' THEN 'norwegian' WHEN 'nb' THEN 'norwegian'
    WHEN 'da' THEN 'danish' WHEN 'fi' THEN 'finnish' WHEN 'hu' THEN 'hungarian' WHEN 'ro' THEN 'romanian'
    WHEN 'ar' THEN 'arabic' WHEN 'el' THEN 'greek' WHEN 'lt' THEN 'lithuanian' WHEN 'sr' THEN 'serbian'
    WHEN 'id' THEN 'indonesian' WHEN 'ga' THEN 'irish' WHEN 'ca' THEN 'catalan' WHEN 'eu' THEN 'basque'
    WHEN 'hi' THEN 'hindi' WHEN 'ne' THEN 'nepali' WHEN 'ta' THEN 'tamil'
    ELSE 'none' END;

-- Ukrainian (and Belarusian) have no Snowball stemmer: a light one strips the longest common noun, adjective and
-- verb ending, Russian spellings included, keeping at least three letters. переговори, переговорів, переговорами
-- -> переговор, the Russian stemmer's stem of переговоры too, so a Cyrillic query finds both languages.
CREATE OR REPLACE MACRO tw_stem_cyrillic(w) AS regexp_replace(w,
    '^(.{3,}?)(ування|ювання|ання|ення|іння|ами|ями|ові|еві|єві|ого|ому|ими|іми|ему|ій|ий|ої|ів|їв|ах|ях|ам|ям|ом|ем|ою|ею|єю|іх|их|им|ім|ти|ть|ся|сь|ов|ев|ей|ой|ый|ая|яя|ое|ее|ые|ие|ых|ым|а|я|и|і|ї|у|ю|о|е|є|ь|ы|й)$',
    '\1');

-- Snowball stems twice: one pass leaves some forms apart that a second joins (Turkish müzakere -> müzaker but
-- müzakereler -> müzakere; Russian обмен -> обм but обмене -> обмен). Search wants them together.
CREATE OR REPLACE MACRO tw_stem(w, lang) AS
    CASE WHEN lang IN ('uk', 'be') THEN tw_stem_cyrillic(w)
         ELSE stem(stem(w, tw_stemmer(lang)), tw_stemmer(lang)) END;

-- What the index stores and a query is matched by: the stem, accents stripped (Erdoğan = erdogan).
CREATE OR REPLACE MACRO tw_term(w, lang) AS strip_accents(tw_stem(w, lang));

-- Text as a run of its lower-cased words between single spaces: phrase matching on word boundaries.
CREATE OR REPLACE MACRO tw_flat(s) AS ' ' || strip_accents(array_to_string(tw_tokens(s), ' ')) || ' ';

-- Function words that carry no topic, per language: neither indexed nor searched.
CREATE OR REPLACE MACRO tw_stopwords(lang) AS CASE lang
    WHEN 'en' THEN ['a', 'an', 'the', 'and', 'or', 'but', 'of', 'to', 'in', 'on', 'at', 'by', 'for', 'with',
        'from', 'as', 'is', 'are', 'was', 'were', 'be', 'been', 'being', 'it', 'its', 'this', 'that', 'these',
        'those', 'he', 'she', 'they', 'we', 'you', 'i', 'his', 'her', 'their', 'our', 'not', 'no', 'has', 'have',
        'had', 'do', 'does', 'did', 'will', 'would', 'can', 'could', 'should', 'may', 'into', 'than', 'then',
        'there', 'which', 'who', 'whom', 'what', 'when', 'where', 'also', 'about', 'after', 'over', 'said']
    WHEN 'ru' THEN ['и', 'в', 'во', 'не', 'что', 'он', 'на', 'я', 'с', 'со', 'как', 'а', 'то', 'все', 'она',
        'так', 'его', 'но', 'да', 'ты', 'к', 'у', 'же', 'вы', 'за', 'бы', 'по', 'только', 'ее', 'её', 'мне',
        'было', 'вот', 'от', 'меня', 'еще', 'ещё', 'нет', 'о', 'об', 'из', 'ему', 'ли', 'если', 'уже', 'или',
        'ни', 'быть', 'был', 'была', 'были', 'до', 'вас', 'они', 'их', 'это', 'этот', 'эти', 'при', 'для',
        'мы', 'тот', 'который', 'которые', 'также', 'же', 'под', 'над', 'после', 'перед', 'между']
    WHEN 'uk' THEN ['і', 'й', 'та', 'в', 'у', 'на', 'з', 'із', 'зі', 'до', 'від', 'по', 'за', 'що', 'не',
        'як', 'а', 'але', 'чи', 'це', 'цей', 'ця', 'ці', 'той', 'та', 'ті', 'він', 'вона', 'воно', 'вони',
        'ми', 'ви', 'я', 'ти', 'його', 'її', 'їх', 'був', 'була', 'було', 'були', 'бути', 'є', 'також', 'для',
        'при', 'про', 'під', 'над', 'після', 'перед', 'між', 'який', 'яка', 'яке', 'які', 'вже', 'ще', 'о',
        'об', 'би', 'б', 'же', 'ж', 'так', 'теж', 'лише', 'тільки']
    WHEN 'tr' THEN ['ve', 'ile', 'bir', 'bu', 'şu', 'o', 'da', 'de', 'ki', 'mi', 'mı', 'mu', 'mü', 'için',
        'gibi', 'daha', 'çok', 'en', 'ama', 'fakat', 'ancak', 'veya', 'ya', 'ne', 'her', 'olarak', 'olan',
        'oldu', 'olduğu', 'ise', 'kadar', 'sonra', 'önce', 'göre', 'diye', 'değil', 'var', 'yok', 'bunu',
        'buna', 'bunun', 'onun', 'ona', 'onu', 'biz', 'siz', 'ben', 'sen', 'onlar', 'şey', 'den', 'dan',
        'nin', 'nın', 'in', 'ın', 'un', 'ün']
    ELSE [] END;

CREATE OR REPLACE MACRO tw_is_stop(w, lang) AS list_contains(tw_stopwords(lang), w);

-- A stretch of the text around the first word that matches one of `stems`, else its start.
CREATE OR REPLACE MACRO tw_snippet_from(body, pos) AS
    CASE WHEN pos > 60 THEN '…' || regexp_replace(substring(body, pos - 60, 200), '^\S*\s+', '')
         ELSE substring(body, 1, 200) END
    || CASE WHEN length(body) > greatest(1, pos - 60) + 199 THEN '…' ELSE '' END;

CREATE OR REPLACE MACRO tw_snippet(body, stems) AS tw_snippet_from(body,
    coalesce(list_min(list_filter(list_transform(stems, s -> instr(lower(body), s)), x -> x > 0)), 1));

-- Ranked search over the articles: BM25 (k1 1.2, b 0.75) on title and text, a title match weighing three times
-- a text match. Every word of `q` must match (stemmed, in the article's language) unless match_any := true;
-- a "quoted phrase" must also appear as written (case and accents aside). The query is stemmed with each indexed
-- language's own stemmer and matched against that language's articles, so one query serves every language
-- whose stemmer applies to its script; a word no stemmer changes matches as a whole word.
CREATE OR REPLACE MACRO search_articles(q, match_any := false) AS TABLE
WITH qtok AS (
    SELECT DISTINCT unnest(tw_tokens(replace(q, '"', ' '))) AS tok
), phrases AS (
    SELECT list_filter(list_transform(regexp_extract_all(q, '"([^"]*)"', 1), p -> tw_flat(p)),
                       p -> trim(p) <> '') AS ps
), langs AS (
    SELECT DISTINCT language FROM search_docs
), qterm AS (
    SELECT l.language, t.tok, tw_term(t.tok, l.language) AS term, tw_stem(t.tok, l.language) AS stem
    FROM langs l, qtok t
    WHERE NOT tw_is_stop(t.tok, l.language)
), wanted AS (
    SELECT language, count(DISTINCT tok) AS n, list(DISTINCT stem) AS stems FROM qterm GROUP BY language
), stats AS (
    SELECT count(*) AS n_docs, greatest(avg(title_len), 1) AS avg_title, greatest(avg(text_len), 1) AS avg_text
    FROM search_docs
), matched AS (
    SELECT article_id, field, term, tf FROM search_terms WHERE term IN (SELECT term FROM qterm)
), df AS (
    SELECT term, count(DISTINCT article_id) AS df FROM matched GROUP BY term
), hit AS (
    SELECT t.article_id, d.language, q.tok, t.field, t.tf, df.df,
           CASE WHEN t.field = 1 THEN d.title_len / s.avg_title ELSE d.text_len / s.avg_text END AS rel_len,
           s.n_docs
    FROM matched t
    JOIN search_docs d ON d.article_id = t.article_id
    JOIN qterm q ON q.term = t.term AND q.language = d.language
    JOIN df ON df.term = t.term
    CROSS JOIN stats s
), scored AS (
    SELECT article_id, language,
           sum(ln(1 + (n_docs - df + 0.5) / (df + 0.5)) * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * rel_len))
               * CASE WHEN field = 1 THEN 3.0 ELSE 1.0 END) AS score,
           count(DISTINCT tok) AS matched
    FROM hit GROUP BY article_id, language
)
SELECT a.article_id, a.title, a.source, a.published_at, a.language, round(sc.score, 4) AS score,
       tw_snippet(a.text, w.stems) AS snippet, a.url, a.duplicate_of, a.group_id
FROM scored sc
JOIN wanted w ON w.language = sc.language
JOIN articles a ON a.article_id = sc.article_id
CROSS JOIN phrases ph
WHERE (match_any OR sc.matched = w.n)
  AND coalesce(list_bool_and(list_transform(ph.ps, p -> contains(tw_flat(a.title || ' ' || a.text), p))), true)
ORDER BY score DESC, a.published_at DESC NULLS LAST, a.article_id;
