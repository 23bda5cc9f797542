"""委托研判: analysis requests to the 数字办/情报中心, answered with a clue package."""
