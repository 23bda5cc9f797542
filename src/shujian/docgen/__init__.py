"""Documents out (文书生成): 检察建议书 drafts in Word."""
