"""The studio's front desk in Telegram: a prospect's thread with a person in the staff chat."""
