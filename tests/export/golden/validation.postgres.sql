-- exodds validation checks, as one postgres query (exodds export-sql --validation).
-- Reads "exports"."responses" (the columns the scoring query reads) and returns every input column plus
-- problem_column and problem: the first problem of the row, as `exodds validate` words it, or null.
-- Answers must be typed: whole numbers, choices by their exact values (no dates, labels or spellings).
SELECT
  "s".*,
  CASE
    WHEN "s"."days_since_breakup" IS NULL AND "s"."days_silent" IS NULL AND "s"."attempts_ignored" IS NULL AND "s"."attempts_last_week" IS NULL AND "s"."blocked" IS NULL AND "s"."days_blocked" IS NULL AND "s"."told_no_contact" IS NULL AND "s"."anger" IS NULL AND "s"."wronged_them" IS NULL AND "s"."apologized" IS NULL AND "s"."bad_blood" IS NULL AND "s"."last_reply_tone" IS NULL AND "s"."ex_reached_out" IS NULL AND "s"."emotional_messages" IS NULL AND "s"."safety_concern" IS NULL
      THEN '(record)'
    WHEN "s"."days_since_breakup" <> FLOOR("s"."days_since_breakup")
      THEN 'days_since_breakup'
    WHEN "s"."days_since_breakup" < 0
      THEN 'days_since_breakup'
    WHEN "s"."days_since_breakup" > 36500
      THEN 'days_since_breakup'
    WHEN "s"."days_since_breakup" IS NULL
      THEN 'days_since_breakup'
    WHEN "s"."days_silent" <> FLOOR("s"."days_silent")
      THEN 'days_silent'
    WHEN "s"."days_silent" < 0
      THEN 'days_silent'
    WHEN "s"."days_silent" > 36500
      THEN 'days_silent'
    WHEN "s"."days_silent" IS NULL
      THEN 'days_silent'
    WHEN CASE WHEN "s"."days_silent" = FLOOR("s"."days_silent") AND "s"."days_silent" >= 0 AND "s"."days_silent" <= 36500 THEN "s"."days_silent" END > CASE WHEN "s"."days_since_breakup" = FLOOR("s"."days_since_breakup") AND "s"."days_since_breakup" >= 0 AND "s"."days_since_breakup" <= 36500 THEN "s"."days_since_breakup" END
      THEN 'days_silent'
    WHEN "s"."attempts_ignored" <> FLOOR("s"."attempts_ignored")
      THEN 'attempts_ignored'
    WHEN "s"."attempts_ignored" < 0
      THEN 'attempts_ignored'
    WHEN "s"."attempts_ignored" > 10000
      THEN 'attempts_ignored'
    WHEN "s"."attempts_ignored" IS NULL
      THEN 'attempts_ignored'
    WHEN "s"."last_reply_tone" = 'never_replied' AND CASE WHEN "s"."attempts_last_week" = FLOOR("s"."attempts_last_week") AND "s"."attempts_last_week" >= 0 AND "s"."attempts_last_week" <= 10000 THEN "s"."attempts_last_week" END > CASE WHEN "s"."attempts_ignored" = FLOOR("s"."attempts_ignored") AND "s"."attempts_ignored" >= 0 AND "s"."attempts_ignored" <= 10000 THEN "s"."attempts_ignored" END AND CASE WHEN "s"."days_since_breakup" = FLOOR("s"."days_since_breakup") AND "s"."days_since_breakup" >= 0 AND "s"."days_since_breakup" <= 36500 THEN "s"."days_since_breakup" END >= 7
      THEN 'attempts_ignored'
    WHEN "s"."attempts_last_week" <> FLOOR("s"."attempts_last_week")
      THEN 'attempts_last_week'
    WHEN "s"."attempts_last_week" < 0
      THEN 'attempts_last_week'
    WHEN "s"."attempts_last_week" > 10000
      THEN 'attempts_last_week'
    WHEN "s"."attempts_last_week" IS NULL
      THEN 'attempts_last_week'
    WHEN CASE WHEN "s"."attempts_last_week" = FLOOR("s"."attempts_last_week") AND "s"."attempts_last_week" >= 0 AND "s"."attempts_last_week" <= 10000 THEN "s"."attempts_last_week" END > 0 AND CASE WHEN "s"."days_silent" = FLOOR("s"."days_silent") AND "s"."days_silent" >= 0 AND "s"."days_silent" <= 36500 THEN "s"."days_silent" END >= 7
      THEN 'attempts_last_week'
    WHEN CASE WHEN "s"."attempts_last_week" = FLOOR("s"."attempts_last_week") AND "s"."attempts_last_week" >= 0 AND "s"."attempts_last_week" <= 10000 THEN "s"."attempts_last_week" END = 0 AND CASE WHEN "s"."days_silent" = FLOOR("s"."days_silent") AND "s"."days_silent" >= 0 AND "s"."days_silent" <= 36500 THEN "s"."days_silent" END < 7
      THEN 'attempts_last_week'
    WHEN "s"."blocked" NOT IN ('no', 'some', 'everywhere')
      THEN 'blocked'
    WHEN "s"."blocked" IS NULL
      THEN 'blocked'
    WHEN "s"."days_blocked" <> FLOOR("s"."days_blocked")
      THEN 'days_blocked'
    WHEN "s"."days_blocked" < 0
      THEN 'days_blocked'
    WHEN "s"."days_blocked" > 36500
      THEN 'days_blocked'
    WHEN "s"."days_blocked" IS NULL AND "s"."blocked" IN ('some', 'everywhere')
      THEN 'days_blocked'
    WHEN "s"."blocked" = 'no' AND CASE WHEN "s"."days_blocked" = FLOOR("s"."days_blocked") AND "s"."days_blocked" >= 0 AND "s"."days_blocked" <= 36500 THEN "s"."days_blocked" END IS NOT NULL
      THEN 'days_blocked'
    WHEN CASE WHEN "s"."days_blocked" = FLOOR("s"."days_blocked") AND "s"."days_blocked" >= 0 AND "s"."days_blocked" <= 36500 THEN "s"."days_blocked" END > CASE WHEN "s"."days_since_breakup" = FLOOR("s"."days_since_breakup") AND "s"."days_since_breakup" >= 0 AND "s"."days_since_breakup" <= 36500 THEN "s"."days_since_breakup" END
      THEN 'days_blocked'
    WHEN "s"."told_no_contact" NOT IN ('yes', 'no')
      THEN 'told_no_contact'
    WHEN "s"."told_no_contact" IS NULL
      THEN 'told_no_contact'
    WHEN "s"."anger" NOT IN ('none', 'annoyed', 'angry', 'furious')
      THEN 'anger'
    WHEN "s"."anger" IS NULL
      THEN 'anger'
    WHEN "s"."wronged_them" NOT IN ('yes', 'no')
      THEN 'wronged_them'
    WHEN "s"."wronged_them" IS NULL
      THEN 'wronged_them'
    WHEN "s"."apologized" NOT IN ('yes', 'no')
      THEN 'apologized'
    WHEN "s"."apologized" IS NULL
      THEN 'apologized'
    WHEN "s"."bad_blood" NOT IN ('yes', 'no')
      THEN 'bad_blood'
    WHEN "s"."bad_blood" IS NULL
      THEN 'bad_blood'
    WHEN "s"."last_reply_tone" NOT IN ('positive', 'neutral', 'cold', 'never_replied')
      THEN 'last_reply_tone'
    WHEN "s"."last_reply_tone" IS NULL
      THEN 'last_reply_tone'
    WHEN "s"."ex_reached_out" NOT IN ('yes', 'no')
      THEN 'ex_reached_out'
    WHEN "s"."ex_reached_out" IS NULL
      THEN 'ex_reached_out'
    WHEN "s"."emotional_messages" <> FLOOR("s"."emotional_messages")
      THEN 'emotional_messages'
    WHEN "s"."emotional_messages" < 0
      THEN 'emotional_messages'
    WHEN "s"."emotional_messages" > 10000
      THEN 'emotional_messages'
    WHEN "s"."emotional_messages" IS NULL
      THEN 'emotional_messages'
    WHEN "s"."safety_concern" NOT IN ('yes', 'no', 'prefer_not_to_say')
      THEN 'safety_concern'
  END AS "problem_column",
  CASE
    WHEN "s"."days_since_breakup" IS NULL AND "s"."days_silent" IS NULL AND "s"."attempts_ignored" IS NULL AND "s"."attempts_last_week" IS NULL AND "s"."blocked" IS NULL AND "s"."days_blocked" IS NULL AND "s"."told_no_contact" IS NULL AND "s"."anger" IS NULL AND "s"."wronged_them" IS NULL AND "s"."apologized" IS NULL AND "s"."bad_blood" IS NULL AND "s"."last_reply_tone" IS NULL AND "s"."ex_reached_out" IS NULL AND "s"."emotional_messages" IS NULL AND "s"."safety_concern" IS NULL
      THEN 'no answers at all: an empty record'
    WHEN "s"."days_since_breakup" <> FLOOR("s"."days_since_breakup")
      THEN 'not a whole number: expected a whole number from 0 to 36500'
    WHEN "s"."days_since_breakup" < 0
      THEN 'below the minimum 0: expected a whole number from 0 to 36500'
    WHEN "s"."days_since_breakup" > 36500
      THEN 'above the maximum 36500: expected a whole number from 0 to 36500'
    WHEN "s"."days_since_breakup" IS NULL
      THEN 'missing: this answer is required'
    WHEN "s"."days_silent" <> FLOOR("s"."days_silent")
      THEN 'not a whole number: expected a whole number from 0 to 36500'
    WHEN "s"."days_silent" < 0
      THEN 'below the minimum 0: expected a whole number from 0 to 36500'
    WHEN "s"."days_silent" > 36500
      THEN 'above the maximum 36500: expected a whole number from 0 to 36500'
    WHEN "s"."days_silent" IS NULL
      THEN 'missing: this answer is required'
    WHEN CASE WHEN "s"."days_silent" = FLOOR("s"."days_silent") AND "s"."days_silent" >= 0 AND "s"."days_silent" <= 36500 THEN "s"."days_silent" END > CASE WHEN "s"."days_since_breakup" = FLOOR("s"."days_since_breakup") AND "s"."days_since_breakup" >= 0 AND "s"."days_since_breakup" <= 36500 THEN "s"."days_since_breakup" END
      THEN 'more days since last contact than since the breakup (days_since_breakup)'
    WHEN "s"."attempts_ignored" <> FLOOR("s"."attempts_ignored")
      THEN 'not a whole number: expected a whole number from 0 to 10000'
    WHEN "s"."attempts_ignored" < 0
      THEN 'below the minimum 0: expected a whole number from 0 to 10000'
    WHEN "s"."attempts_ignored" > 10000
      THEN 'above the maximum 10000: expected a whole number from 0 to 10000'
    WHEN "s"."attempts_ignored" IS NULL
      THEN 'missing: this answer is required'
    WHEN "s"."last_reply_tone" = 'never_replied' AND CASE WHEN "s"."attempts_last_week" = FLOOR("s"."attempts_last_week") AND "s"."attempts_last_week" >= 0 AND "s"."attempts_last_week" <= 10000 THEN "s"."attempts_last_week" END > CASE WHEN "s"."attempts_ignored" = FLOOR("s"."attempts_ignored") AND "s"."attempts_ignored" >= 0 AND "s"."attempts_ignored" <= 10000 THEN "s"."attempts_ignored" END AND CASE WHEN "s"."days_since_breakup" = FLOOR("s"."days_since_breakup") AND "s"."days_since_breakup" >= 0 AND "s"."days_since_breakup" <= 36500 THEN "s"."days_since_breakup" END >= 7
      THEN 'fewer unanswered attempts than attempts_last_week, but last_reply_tone says they never replied, so every attempt since the breakup went unanswered'
    WHEN "s"."attempts_last_week" <> FLOOR("s"."attempts_last_week")
      THEN 'not a whole number: expected a whole number from 0 to 10000'
    WHEN "s"."attempts_last_week" < 0
      THEN 'below the minimum 0: expected a whole number from 0 to 10000'
    WHEN "s"."attempts_last_week" > 10000
      THEN 'above the maximum 10000: expected a whole number from 0 to 10000'
    WHEN "s"."attempts_last_week" IS NULL
      THEN 'missing: this answer is required'
    WHEN CASE WHEN "s"."attempts_last_week" = FLOOR("s"."attempts_last_week") AND "s"."attempts_last_week" >= 0 AND "s"."attempts_last_week" <= 10000 THEN "s"."attempts_last_week" END > 0 AND CASE WHEN "s"."days_silent" = FLOOR("s"."days_silent") AND "s"."days_silent" >= 0 AND "s"."days_silent" <= 36500 THEN "s"."days_silent" END >= 7
      THEN 'contact in the past 7 days, but days_silent says 7 or more days without contact'
    WHEN CASE WHEN "s"."attempts_last_week" = FLOOR("s"."attempts_last_week") AND "s"."attempts_last_week" >= 0 AND "s"."attempts_last_week" <= 10000 THEN "s"."attempts_last_week" END = 0 AND CASE WHEN "s"."days_silent" = FLOOR("s"."days_silent") AND "s"."days_silent" >= 0 AND "s"."days_silent" <= 36500 THEN "s"."days_silent" END < 7
      THEN 'no contact in the past 7 days, but days_silent says the last contact was less than 7 days ago'
    WHEN "s"."blocked" NOT IN ('no', 'some', 'everywhere')
      THEN 'not one of the choices: expected one of no, some, everywhere'
    WHEN "s"."blocked" IS NULL
      THEN 'missing: this answer is required'
    WHEN "s"."days_blocked" <> FLOOR("s"."days_blocked")
      THEN 'not a whole number: expected a whole number from 0 to 36500'
    WHEN "s"."days_blocked" < 0
      THEN 'below the minimum 0: expected a whole number from 0 to 36500'
    WHEN "s"."days_blocked" > 36500
      THEN 'above the maximum 36500: expected a whole number from 0 to 36500'
    WHEN "s"."days_blocked" IS NULL AND "s"."blocked" IN ('some', 'everywhere')
      THEN 'missing: this answer is required when blocked is some or everywhere'
    WHEN "s"."blocked" = 'no' AND CASE WHEN "s"."days_blocked" = FLOOR("s"."days_blocked") AND "s"."days_blocked" >= 0 AND "s"."days_blocked" <= 36500 THEN "s"."days_blocked" END IS NOT NULL
      THEN 'given while blocked is ''no'': leave it blank'
    WHEN CASE WHEN "s"."days_blocked" = FLOOR("s"."days_blocked") AND "s"."days_blocked" >= 0 AND "s"."days_blocked" <= 36500 THEN "s"."days_blocked" END > CASE WHEN "s"."days_since_breakup" = FLOOR("s"."days_since_breakup") AND "s"."days_since_breakup" >= 0 AND "s"."days_since_breakup" <= 36500 THEN "s"."days_since_breakup" END
      THEN 'more days since the block than since the breakup (days_since_breakup)'
    WHEN "s"."told_no_contact" NOT IN ('yes', 'no')
      THEN 'not one of the choices: expected one of yes, no'
    WHEN "s"."told_no_contact" IS NULL
      THEN 'missing: this answer is required'
    WHEN "s"."anger" NOT IN ('none', 'annoyed', 'angry', 'furious')
      THEN 'not one of the choices: expected one of none, annoyed, angry, furious'
    WHEN "s"."anger" IS NULL
      THEN 'missing: this answer is required'
    WHEN "s"."wronged_them" NOT IN ('yes', 'no')
      THEN 'not one of the choices: expected one of yes, no'
    WHEN "s"."wronged_them" IS NULL
      THEN 'missing: this answer is required'
    WHEN "s"."apologized" NOT IN ('yes', 'no')
      THEN 'not one of the choices: expected one of yes, no'
    WHEN "s"."apologized" IS NULL
      THEN 'missing: this answer is required'
    WHEN "s"."bad_blood" NOT IN ('yes', 'no')
      THEN 'not one of the choices: expected one of yes, no'
    WHEN "s"."bad_blood" IS NULL
      THEN 'missing: this answer is required'
    WHEN "s"."last_reply_tone" NOT IN ('positive', 'neutral', 'cold', 'never_replied')
      THEN 'not one of the choices: expected one of positive, neutral, cold, never_replied'
    WHEN "s"."last_reply_tone" IS NULL
      THEN 'missing: this answer is required'
    WHEN "s"."ex_reached_out" NOT IN ('yes', 'no')
      THEN 'not one of the choices: expected one of yes, no'
    WHEN "s"."ex_reached_out" IS NULL
      THEN 'missing: this answer is required'
    WHEN "s"."emotional_messages" <> FLOOR("s"."emotional_messages")
      THEN 'not a whole number: expected a whole number from 0 to 10000'
    WHEN "s"."emotional_messages" < 0
      THEN 'below the minimum 0: expected a whole number from 0 to 10000'
    WHEN "s"."emotional_messages" > 10000
      THEN 'above the maximum 10000: expected a whole number from 0 to 10000'
    WHEN "s"."emotional_messages" IS NULL
      THEN 'missing: this answer is required'
    WHEN "s"."safety_concern" NOT IN ('yes', 'no', 'prefer_not_to_say')
      THEN 'not one of the choices: expected one of yes, no, prefer_not_to_say'
  END AS "problem"
FROM "exports"."responses" AS "s"
