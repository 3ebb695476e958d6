package dynamo

// Runtime definitions set through the admin API live in one item each.
const skConfig = "CFG"

func configPK(name string) string { return "CFG#" + name }
