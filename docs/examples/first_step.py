import numpy as np

from autograd_mini import Tensor, draw_graph

x = Tensor(np.random.default_rng(0).standard_normal((8, 3)), name="x")  # 8 examples
y = (np.arange(8)[:, None] % 3 == 0) * 1.0  # their labels, a column
w = Tensor(np.zeros((3, 1)), requires_grad=True, name="w")
b = Tensor(np.zeros(1), requires_grad=True, name="b")
p = (x @ w + b).sigmoid()  # logistic regression
loss = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
loss.backward()  # w.grad is now 1/m x^T (p - y), as derived by hand
graph = draw_graph(loss, show_grad=True, rankdir="TB")  # Jupyter shows it inline
