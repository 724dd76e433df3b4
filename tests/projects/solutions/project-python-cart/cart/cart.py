class Cart:
    """A shopping cart: SKUs with a price in cents and a quantity."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[int, int]] = {}
        self.discount = 0

    def add(self, sku: str, price_cents: int, qty: int = 1) -> None:
        if qty < 1 or price_cents < 0:
            raise ValueError("quantity must be at least 1 and the price not negative")
        _, had = self.items.get(sku, (price_cents, 0))
        self.items[sku] = (price_cents, had + qty)

    def total(self) -> int:
        gross = sum(price * qty for price, qty in self.items.values())
        return gross * (100 - self.discount) // 100

    def apply_discount(self, percent: int) -> None:
        if not 0 <= percent <= 100:
            raise ValueError("a discount is 0 to 100 percent")
        self.discount = percent
