"""The studio's front desk in Telegram (issue 25): answers without staff (where the studio is, when
it is open, what it costs, from PerfectGym's data) and a prospect's thread with a person in the
staff chat, which also takes the questions that data cannot answer."""
