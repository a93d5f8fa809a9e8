# coding: utf-8
"""Apple shopping (the book's buy_apple.py): 2 apples at 100 each, with 10% tax"""


class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        out = x * y
        return out

    def backward(self, dout):
        dx = dout * self.y  # the inputs swap
        dy = dout * self.x
        return dx, dy


apple = 100
apple_num = 2
tax = 1.1

# layer
mul_apple_layer = MulLayer()
mul_tax_layer = MulLayer()

# forward
apple_price = mul_apple_layer.forward(apple, apple_num)
price = mul_tax_layer.forward(apple_price, tax)

# backward
dprice = 1
dapple_price, dtax = mul_tax_layer.backward(dprice)
dapple, dapple_num = mul_apple_layer.backward(dapple_price)

print("price:", round(price, 10))                      # 220
print("dapple:", round(dapple, 10))                    # 2.2
print("dapple_num:", round(dapple_num, 10))            # 110
print("dtax:", dtax)                                   # 200
