"""The JetLag paper's two listings, as plain NumPy-style Python (no JetLag imports).

`lra` is Listing 1 (binary logistic regression) and `ALS` Listing 2 (alternating least
squares); they are kept exactly as published so JetLag compiles them unmodified. The
demo, tests and benchmarks import them from here. `inverse` is the paper's spelling of
numpy.linalg.inv; it exists only for running the listings as plain NumPy.
"""

import numpy as np

inverse = np.linalg.inv


# Logistic Regression Algorithm
def lra(x, y, alpha, iterations, enable_output):
    weights = np.zeros(np.shape(x)[1])
    transx = np.transpose(x)
    pred = np.zeros(np.shape(x)[0])
    error = np.zeros(np.shape(x)[0])
    gradient = np.zeros(np.shape(x)[1])
    step = 0
    while step < iterations:
        if (enable_output):
            print("step:~", step, "~", weights)
        pred = 1.0 / (1.0 + np.exp(-np.dot(x, weights)))
        error = pred - y
        gradient = np.dot(transx, error)
        weights = weights - (alpha * gradient)
        step += 1
    return weights


# Alternating Least Square
def ALS(ratings, reg, num_factors, iterations, alpha, X, Y):
    num_users = np.shape(ratings)[0]
    num_items = np.shape(ratings)[1]
    conf = alpha * ratings
    conf_u = np.zeros((num_items,1))
    conf_i = np.zeros((num_items,1))
    c_u = np.zeros((num_items, num_users))
    c_i = np.zeros((num_users, num_users))
    p_u = np.zeros((num_items,1))
    p_i = np.zeros((num_users,1))
    I_f = np.identity(num_factors)
    I_i = np.identity(num_items)
    I_u = np.identity(num_users)
    i = 0
    u = 0
    k = 0

    XtX = np.zeros((num_factors, num_factors))
    YtY = np.zeros((num_factors, num_factors))
    A = np.zeros([num_factors, num_factors])
    b = np.zeros([num_factors])
    while k < iterations:
        YtY = np.dot(np.transpose(Y), Y) + reg * I_f
        XtX = np.dot(np.transpose(X), X) + reg * I_f
        while u < num_users:
            conf_u = conf[u, :]
            c_u = np.diag(conf_u)
            p_u = conf_u != 0
            A = YtY + np.dot(np.dot(np.transpose(Y), c_u), Y)
            b = np.dot(np.dot(
                np.transpose(Y), c_u + I_i), np.transpose(p_u))
            X[u, :] = np.dot(inverse(A), b)
            u = u + 1
        while i < num_items:
            conf_i = conf[:, i]
            c_i = np.diag(conf_i)
            p_i = conf_i != 0
            A = XtX + np.dot(np.dot(np.transpose(X), c_i), X)
            b = np.dot(np.dot(
                np.transpose(X), c_i + I_u), np.transpose(p_i))
            Y[i, :] = np.dot(inverse(A), b)
            i = i + 1
        u = 0
        i = 0
        k = k + 1
    result = np.vstack((X, Y))
    return result
