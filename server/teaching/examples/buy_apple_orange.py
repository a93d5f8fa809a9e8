# coding: utf-8
"""Apple and orange shopping (the book's buy_apple_orange.py): 2 apples at 100, 3 oranges at 150, 10% tax"""


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


class AddLayer:
    def __init__(self):
        pass  # nothing to remember

    def forward(self, x, y):
        out = x + y
        return out

    def backward(self, dout):
        dx = dout * 1  # dout passes through unchanged
        dy = dout * 1
        return dx, dy


apple = 100
apple_num = 2
orange = 150
orange_num = 3
tax = 1.1

# layer
mul_apple_layer = MulLayer()
mul_orange_layer = MulLayer()
add_apple_orange_layer = AddLayer()
mul_tax_layer = MulLayer()

# forward
apple_price = mul_apple_layer.forward(apple, apple_num)            # (1)
orange_price = mul_orange_layer.forward(orange, orange_num)        # (2)
all_price = add_apple_orange_layer.forward(apple_price, orange_price)  # (3)
price = mul_tax_layer.forward(all_price, tax)                      # (4)

# backward, in the reverse order
dprice = 1
dall_price, dtax = mul_tax_layer.backward(dprice)                          # (4)
dapple_price, dorange_price = add_apple_orange_layer.backward(dall_price)  # (3)
dorange, dorange_num = mul_orange_layer.backward(dorange_price)            # (2)
dapple, dapple_num = mul_apple_layer.backward(dapple_price)                # (1)

print("price:", round(price, 10))                      # 715
print("dapple:", round(dapple, 10))                    # 2.2
print("dapple_num:", round(dapple_num, 10))            # 110
print("dorange:", round(dorange, 10))                  # 3.3
print("dorange_num:", round(dorange_num, 10))          # 165
print("dtax:", dtax)                                   # 650
